// Text from a user, shown back safely: control characters written out as \uXXXX.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ANYWHERE = /[\u0000-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Control characters written as \uXXXX, so a value can be shown without acting on a terminal
 * (inside a JSON string that is the same character). With `keepLayout`, tab and line feed stay.
 */
export function escapeControls(text: string, { keepLayout = false } = {}): string {
  return text.replace(
    keepLayout ? CONTROL_BUT_LAYOUT : CONTROL_ANYWHERE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
