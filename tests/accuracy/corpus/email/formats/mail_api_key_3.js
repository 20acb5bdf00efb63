'use strict';

const MAIL_API_KEY = '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';
module.exports = {};
