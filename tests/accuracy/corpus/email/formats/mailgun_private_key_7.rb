# frozen_string_literal: true

MAILGUN_PRIVATE_KEY = '3b72f35eab8ed9b34a67bf9ff1dab9b1-f74945ab-d3181cb4'.freeze
