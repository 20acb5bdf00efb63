provider "sendgrid" {
  api_key = "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"
}
