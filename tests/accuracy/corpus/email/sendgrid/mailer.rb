require 'sendgrid-ruby'
include SendGrid

sg = SendGrid::API.new(api_key: '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')
