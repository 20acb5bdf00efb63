'use strict';

const LANGCHAIN_API_KEY = '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';
module.exports = {};
