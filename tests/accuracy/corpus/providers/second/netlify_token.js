'use strict';

const NETLIFY_AUTH_TOKEN = 'nfp_wC5xAZxJGG1wPOl3XfHDtqp1EC93QrWL3MlE';
module.exports = {};
