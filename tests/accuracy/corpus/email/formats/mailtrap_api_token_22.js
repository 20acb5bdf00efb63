'use strict';

const MAILTRAP_API_TOKEN = '20691c8294304bb8616a59efe86463d2';
module.exports = {};
