"""Scrapy settings for Pantau's spiders (Scrapy-only knobs; Pantau's own are in pantau.settings)."""

from __future__ import annotations

BOT_NAME = "pantau"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# A descriptive User-Agent: site operators can see who we are and how to reach us.
USER_AGENT = (
    "PantauBot/0.1 (+https://github.com/pantau-pilkada/pantau; election monitoring for Bawaslu; "
    "obeys robots.txt)"
)
ROBOTSTXT_OBEY = True

# Politeness: few parallel requests per site, adaptive delays.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is 0.5x to 1.5x DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
# News pages are well under 2 MB; anything far bigger is an error page or a trap.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5

# Feeds, sitemaps and preview pages are revalidated with ETag / Last-Modified
# (RFC 2616 policy); article requests set dont_cache, since seen URLs are not refetched.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_GZIP = True
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

ITEM_PIPELINES = {"crawlers.pipelines.SpoolPipeline": 300}

# Handled statuses reach the errback as HttpError and are counted there.
HTTPERROR_ALLOW_ALL = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
