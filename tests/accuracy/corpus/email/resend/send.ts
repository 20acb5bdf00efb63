import { Resend } from 'resend';

const resend = new Resend('re_EvUQozjM_wuYw0jbhamLfTyAHqRUO6KLA');
