require 'postmark'

client = Postmark::ApiClient.new('a6aebede-2c2d-441e-8dd1-47af5c401d2e')
