// Public event presets: `events.<host>.batchChanges`, `events.<host>.push`, `events.github.permissions`.
export {
  bitbucketCloud,
  bitbucketServer,
  defaultEvents,
  eventsFor,
  type Feature,
  github,
  gitlab,
} from "../providers/events";
