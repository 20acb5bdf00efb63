import sib_api_v3_sdk

configuration = sib_api_v3_sdk.Configuration()
configuration.api_key['api-key'] = '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'
