"""The `newswatch` commands, one module per group; scheduler/cli.py parses the arguments and
dispatches. Heavy imports (Scrapy, spaCy, tantivy, uvicorn) stay inside the commands that need
them: a command starts without loading what only another needs, and the crawl's twisted reactor
is installed (scheduler/loop.py) before anything imports Scrapy."""
