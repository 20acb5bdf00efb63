"""Service configuration."""
import logging

TF_TOKEN_app_terraform_io = "FsqefLW4QcKZMg.atlasv1.QCEvz_Qo6UrfG7-LxBURH_4jpt1Dcci44NyogdbSyNlOSV5JIcBDDODkaSbKnpj2jUE"
log = logging.getLogger(__name__)
