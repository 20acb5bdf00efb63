# frozen_string_literal: true

SLACK_WEBHOOK_URL = 'https://hooks.slack.com/services/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'.freeze
