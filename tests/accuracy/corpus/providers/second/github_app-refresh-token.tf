resource "kubernetes_secret" "app" {
  data = {
  github_refresh_token = "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"
  }
}
