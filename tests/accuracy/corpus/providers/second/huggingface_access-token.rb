# frozen_string_literal: true

HF_TOKEN = 'hf_LkRj8WhEbdEdREiWJ2nafK5YJvraSETZ79'.freeze
