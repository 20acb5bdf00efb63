require 'mailtrap'

client = Mailtrap::Client.new(api_key: '554613697f1013b7e100f0fa2f165a95')
