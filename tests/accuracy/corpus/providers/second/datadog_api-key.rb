# frozen_string_literal: true

DD_API_KEY = '1e9192974a37138ff0f54c946a81d0cf'.freeze
