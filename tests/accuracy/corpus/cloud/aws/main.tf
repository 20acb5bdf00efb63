provider "aws" {
  region     = "us-east-1"
  access_key = "AKIAGLXHD4JI2LVQFUHU"
  secret_key = "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"
}
