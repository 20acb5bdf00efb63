"""Service configuration."""
import logging

CF_ORIGIN_CA_KEY = "v1.0-aae5c7747174bdc92eef2b4b-c7fc442c3459190455237edb0f677c098fc7066c6c594f7ca7bcae7a72f2e8266bf3fd12f0b217e6f14f46a83470b14175fbdac6c9f38d9b15c00f4e4062899af1a17ecf25eddb1dc7"
log = logging.getLogger(__name__)
