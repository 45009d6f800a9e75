/**
 * Converting instants to the value a dataset's time column stores, so that retention
 * windows compare correctly whatever format the host chose.
 *
 * @module
 */
import type { TimeFormat } from './data-map/dataset.js'

/**
 * The column value of `instant` in `format`: epoch milliseconds, epoch seconds, or a UTC
 * `YYYY-MM-DD HH:MM:SS.mmm` string (which MySQL DATETIME(3) and SQLite text both compare
 * in time order).
 */
export function toTimeValue(instant: Date, format: TimeFormat): number | string {
  switch (format) {
    case 'epoch_ms':
      return instant.getTime()
    case 'epoch_s':
      return Math.floor(instant.getTime() / 1000)
    case 'datetime':
      return instant.toISOString().replace('T', ' ').replace('Z', '')
  }
}
