resource "kubernetes_secret" "app" {
  data = {
  mandrill_api_key = "md-D6F0jcBaL_x8bIEdKBbjSJ"
  }
}
