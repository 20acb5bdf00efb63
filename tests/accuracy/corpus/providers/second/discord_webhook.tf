resource "kubernetes_secret" "app" {
  data = {
  discord_webhook = "https://discord.com/api/webhooks/1213048133205129493/VaHbRfnSKW6Cy6kmSFO889PkunNv6EbYDbHqa4Wl_2pejxiqcNdDV4lxOwPZ7K5eRTJD"
  }
}
