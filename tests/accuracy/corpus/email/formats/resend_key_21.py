"""Service configuration."""
import logging

RESEND_KEY = "re_2oZxx7KG_euaBmeWOdlBSEYvLajrgfs29"
log = logging.getLogger(__name__)
