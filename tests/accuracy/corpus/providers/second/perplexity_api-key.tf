resource "kubernetes_secret" "app" {
  data = {
  perplexity_api_key = "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"
  }
}
