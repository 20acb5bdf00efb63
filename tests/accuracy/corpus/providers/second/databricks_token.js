'use strict';

const DATABRICKS_TOKEN = 'dapi622e11d1dc3a10d9146a5e01d7fa907e';
module.exports = {};
