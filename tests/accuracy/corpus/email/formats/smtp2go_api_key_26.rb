# frozen_string_literal: true

SMTP2GO_API_KEY = 'api-756752564FFC1104314E558725BE0D8E'.freeze
