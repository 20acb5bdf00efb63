"""Service configuration."""
import logging

BRAINTREE_ACCESS_TOKEN = "access_token$production$fj222lrxl5sov6gj$0c9f2e136e94fb46b10fe1f405bcb6dd"
log = logging.getLogger(__name__)
