resource "kubernetes_secret" "app" {
  data = {
  figma_token = "figd_qDHL9R590Pug3uGTpejgjO5SAZeO4nB4Lh4Y4D2X"
  }
}
