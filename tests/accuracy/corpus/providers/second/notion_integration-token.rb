# frozen_string_literal: true

NOTION_TOKEN = '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'.freeze
