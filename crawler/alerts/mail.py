"""Alert and notice e-mails, rendered from templates/: a plain-text part, and for topic alerts an
HTML part, one item per story (its first report leads; the other outlets are listed as "also")."""
from __future__ import annotations

from email.message import EmailMessage
from html import escape

from jinja2 import Environment, PackageLoader, pass_eval_context, select_autoescape
from markupsafe import Markup

NAMES_PER_TYPE = 3


@pass_eval_context
def _escaped(eval_context, value):
    """Where autoescaping is on (.html), the stdlib's entities (`&quot;`, `&#x27;`) rather than
    markupsafe's (`&#34;`, `&#39;`): the same safety, and mail bytes identical to before the
    templates."""
    if eval_context.autoescape and not isinstance(value, Markup):
        return Markup(escape(str(value)))
    return value


templates = Environment(loader=PackageLoader("crawler.alerts"), autoescape=select_autoescape(["html"]),
                        finalize=_escaped)


def stories_of(articles: list[dict]) -> list[dict]:
    """The payload's articles grouped by story, in order: {lead, names, copies, also}."""
    stories: dict[str, list[dict]] = {}
    for article in articles:
        stories.setdefault(article.get("story_id") or article["id"], []).append(article)
    return [{"lead": lead,
             "names": ", ".join(n for values in (lead.get("entities") or {}).values() for n in values[:NAMES_PER_TYPE]),
             "copies": lead.get("duplicate_count") or 0,
             "also": ", ".join(m["outlet"] for m in others)}
            for lead, *others in stories.values()]


def _message(subject: str, mail_from: str, address: str, delivery_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"], message["To"] = mail_from, address
    message["Message-ID"] = f"<{delivery_id}@newswatch>"
    return message


def topic_mail(payload: dict, digest: bool, mail_from: str, address: str, delivery_id: str) -> EmailMessage:
    """`payload` is the webhook body: {"topic", "name", "articles": [article plus "snippet"]}."""
    message = _message(f"newswatch: {len(payload['articles'])} new {'stories' if digest else 'matches'} "
                       f"for {payload['name']}", mail_from, address, delivery_id)
    values = {"name": payload["name"], "stories": stories_of(payload["articles"])}
    message.set_content(templates.get_template("topic_mail.txt").render(values))
    message.add_alternative(templates.get_template("topic_mail.html").render(values), subtype="html")
    return message


def notice_mail(payload: dict, mail_from: str, address: str, delivery_id: str) -> EmailMessage:
    """`payload`: {"notice", "outlet", "message", "raised_at"} (core/volume.py Notices)."""
    message = _message(f"newswatch notice: {payload['notice'].replace('_', ' ')} ({payload['outlet']})",
                       mail_from, address, delivery_id)
    message.set_content(templates.get_template("notice_mail.txt").render(payload))
    return message
