resource "kubernetes_secret" "app" {
  data = {
  trigger_token = "glptt-044ab5fc7e818a812f510556021e66623bc6c0b5"

  square_access_token = "EAAA2mlxSjFHshPLc1TjqjY0KHf-glIswxMltHBOrLhJGMwBcVX9603cYEKVfFrT"

  dockerhub_token = "dckr_pat_NtU_5jadT3KZ4kln1Y5VL6v7_X9"

  sentry_auth_token = "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"

  hubspot_access_token = "pat-na1-032fdca9-ea0d-4c5a-bd10-2e64c3e6817d"

  cargo_registry_token = "cio0wbJ2Vtixe42FDgvJkR71PGBNdkOo8bT"

  }
}
