'use strict';

const PAYPAL_CLIENT_SECRET = 'EXsw-el79tDmbPI42UN5SucmhjhyNdFyq9F4Sl4urX1OJqWCXOJIC5BN4xg5WSymxxhBeQWM_Nad_iKh';
module.exports = {};
