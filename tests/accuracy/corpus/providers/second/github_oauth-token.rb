# frozen_string_literal: true

GITHUB_OAUTH_TOKEN = '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'.freeze
