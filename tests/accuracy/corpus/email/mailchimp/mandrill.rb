require 'mandrill'

mandrill = Mandrill::API.new 'md-0PHJ7tEt-h2Xi9-x38aX9w'
