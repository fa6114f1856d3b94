"""Crawlers: Scrapy spiders for Indonesian news and public posts, with provenance."""
