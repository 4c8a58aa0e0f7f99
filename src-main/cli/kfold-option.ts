// The --kfold option of `train` and `score`: out-of-sample scores from k models, each image scored by the
// one that never trained on it. Given without a number it means k = 5, the usual choice (cleanlab's
// default cv_n_folds, and the issue's), so `poi-audit score p.poi --run 3 --kfold` does the expected thing.
import { InvalidArgumentError, Option } from 'commander'

export const DEFAULT_KFOLD = 5
export const MAX_KFOLD = 20

/**
 * `--kfold [k]`: an integer 2..MAX_KFOLD; the bare flag gives DEFAULT_KFOLD. With `allowZero` (train,
 * whose default is k-fold on big projects), 0 asks for one model scored in-training.
 */
export function kfoldOption(help: string, opts: { allowZero?: boolean } = {}): Option {
  return new Option('--kfold [k]', `${help}; --kfold alone = ${DEFAULT_KFOLD}`)
    .preset(String(DEFAULT_KFOLD))
    .argParser((v: string): number => {
      const n = Number(v)
      if (opts.allowZero && /^\s*0\s*$/.test(v)) return 0
      if (!/^\s*\d+\s*$/.test(v) || n < 2 || n > MAX_KFOLD) {
        throw new InvalidArgumentError(
          `--kfold must be ${opts.allowZero ? '0 or ' : ''}an integer from 2 to ${MAX_KFOLD}, got "${v}"`
        )
      }
      return n
    })
}
