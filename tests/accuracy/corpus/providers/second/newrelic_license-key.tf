resource "kubernetes_secret" "app" {
  data = {
  new_relic_license_key = "8f77377adb9d3833295cefcd9abda4a06aeaNRAL"
  }
}
