"""Service configuration."""
import logging

BITBUCKET_APP_PASSWORD = "ATBB13NXmDSVB63D58YD9ru0kumGmOEXcvPs"
log = logging.getLogger(__name__)
