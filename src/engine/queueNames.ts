/** The queues the app's functions talk through. The names are v2's, so v2 users and their monitoring recognise them. */
export const QUEUE_NAMES = {
  orchestration: "orchestration-request",
  execution: "execution-request",
  createAlert: "create-alert-request",
  autoUpdate: "auto-update-request-queue",
} as const;
