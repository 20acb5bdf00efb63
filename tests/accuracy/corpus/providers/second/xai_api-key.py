"""Service configuration."""
import logging

XAI_API_KEY = "xai-waXH8Qil1D2c4t7r6z0KsGaybPODTHbqFLSuEtQxb6KDMRNe4evq8VUg9wwLOzuDcaMSLiHTAQFM0Nid"
log = logging.getLogger(__name__)
