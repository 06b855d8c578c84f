"""Topic alerts: matches recorded (store.py), grouped into deliveries (topic_alerts.py), sent one
at a time through a durable outbox (delivery.py) by webhook or SMTP (transports.py), mail
rendered from templates/ (mail.py)."""
