var apiToken = "AicUMPLaYUdfHF3aBK8rKJHS"
