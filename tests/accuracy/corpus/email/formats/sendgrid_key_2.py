"""Service configuration."""
import logging

SENDGRID_KEY = "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"
log = logging.getLogger(__name__)
