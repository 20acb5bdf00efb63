# frozen_string_literal: true

OP_SECRET_KEY = 'A3-AP52KZ-199YEL-E066R-QW1Q0-TTJBW-DGW9G'.freeze
