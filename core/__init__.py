"""What the crawler, the index and the daemon all use: dates, the article record, the state database."""
