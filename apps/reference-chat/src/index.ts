/** The reference chat app: a terminal chat built only from @ffdb/manager's public entry points. */
export { ChatApp, HELP } from './app.js';
export { localResponder, openAIResponder, type Responder, type Turn } from './responders.js';
