/**
 * Human-readable account of a configuration: every RECONSTRUCTED choice of ../shared/poi-spec.md with
 * the value in use (for run logs, checkpoint manifests and the UI), plus non-fatal warnings.
 */
import { computeGeometry, type PoiModelConfig } from './config'

export type Provenance = 'STATED-P' | 'STATED-C' | 'RECONSTRUCTED' | 'OURS'

export interface ConfigChoice {
  /** Short id of the choice, stable across versions (e.g. 'crop-level'). */
  key: string
  /** What is in use, in words. */
  value: string
  /** Where the choice comes from (spec §0 tags; 'OURS' = an engineering choice outside the paper). */
  status: Provenance
  /** Spec section. */
  ref: string
}

/** Lists the configuration's choices; entries irrelevant to the active mode are omitted. */
export function describeConfig(cfg: PoiModelConfig): ConfigChoice[] {
  const g = computeGeometry(cfg)
  const ex = cfg.extractor
  const out: ConfigChoice[] = []
  const add = (key: string, value: string, status: Provenance, ref: string): void => {
    out.push({ key, value, status, ref })
  }
  if (ex.kind === 'resnet') {
    add(
      'backbone',
      `${ex.arch} widths ${ex.widths.join('-')}, blocks ${ex.blocks.join('-')}, stem '${ex.stem}', input ${cfg.input.height}×${cfg.input.width}×${cfg.input.channels}`,
      ex.arch === 'resnet18' && ex.stem === 'imagenet' ? 'STATED-P' : 'OURS',
      '§2.1, §7.17'
    )
    add('crop-level', `E = stem + layer1..layer3; F = ${g.feature.join('×')} (H3×W3×C3)`, 'RECONSTRUCTED', '§7.1')
  } else if (ex.kind === 'vgg') {
    add(
      'backbone',
      `VGG-style widths ${ex.widths.join('-')}, ${ex.convs} convs per stage, pools after stages 1 and 2, input ${cfg.input.height}×${cfg.input.width}×${cfg.input.channels}`,
      'OURS',
      '§2.1'
    )
    add(
      'crop-level',
      `E = stages 1..3; the PIN reads F = ${g.feature.join('×')} (H3×W3×C3) after stage 3`,
      'OURS',
      '§7.1'
    )
  } else {
    add(
      'backbone',
      `frozen extractor '${ex.name}' giving F = ${g.feature.join('×')}, head width ${g.c4}`,
      'OURS',
      '§7.15'
    )
  }
  add(
    'trn-stage',
    cfg.trnStage === 'layer4'
      ? 'TRN: own layer4 (BasicBlock stage, stride 2) → GAP → FC'
      : 'TRN: 3×3 conv+BN+ReLU (stride 1) → GAP → FC',
    cfg.trnStage === 'layer4' ? 'STATED-P' : 'OURS',
    '§2.1'
  )
  add(
    'init',
    'initial values (before any loaded weights): convs He-normal fan-out; ReLU FCs He-normal fan-in, zero bias; output FCs uniform ±1/√fan_in; BN γ=1 β=0; gate FC zeros',
    'OURS',
    '§7.15'
  )
  add(
    'optimizer',
    `SGD momentum ${cfg.optimizer.momentum}, weight decay ${cfg.optimizer.weightDecay} (${cfg.optimizer.weightDecayMode === 'l2' ? 'L2 added to the gradient, as torch.optim.SGD' : 'decoupled, SGDW'}; on every trainable weight incl. BN and biases, the torch default)`,
    'STATED-P',
    '§6'
  )
  add('bn', `batch norm momentum ${cfg.bn.momentum}, eps ${cfg.bn.eps} (PyTorch convention)`, 'OURS', '—')
  if (!g.pinEnabled) {
    add('mode', 'baseline: extractor + TRN trained with plain cross-entropy (no PIN, OIM, UEM)', 'STATED-P', 'Table X')
    return out
  }
  const k = g.cropK
  add(
    'crop-k',
    `k = ${k} on a ${g.feature[0]}×${g.feature[1]} map (k/H = ${g.kOverH.toFixed(2)}; paper: 9/14 = 0.64)${cfg.pin.cropK === 'auto' ? ', scaled as floor(9·H3/14 + 0.5)' : ', set explicitly'}`,
    'RECONSTRUCTED',
    '§2.2, §7.17'
  )
  add('mirror', 'UR and LR crops mirrored along W before their branch (tf.reverse)', 'RECONSTRUCTED', '§2.2')
  add(
    'branch-stage',
    cfg.pin.branch === 'layer4'
      ? `each branch owns a layer4 copy (BasicBlock stage ${g.feature[2]}→${g.c4}, first stride ${cfg.pin.branchStride})`
      : `each branch: one 3×3 conv ${g.feature[2]}→${g.c4} + BN + ReLU (stride ${cfg.pin.branchStride})`,
    'RECONSTRUCTED',
    '§2.3, §7.2'
  )
  add(
    'au-widths',
    `AU net a = ${cfg.pin.auHidden}, h = ${cfg.pin.auReduced} (spec: 512 / 64)`,
    'RECONSTRUCTED',
    '§2.4, §7.3'
  )
  add(
    'au-importance',
    cfg.pin.importance === 'scalar'
      ? 'importance w: scalar sigmoid per AU'
      : `importance w: ${cfg.pin.auHidden}-d sigmoid vector per AU`,
    'RECONSTRUCTED',
    '§7.3'
  )
  add('emotion-fc', 'one emotion FC per branch, shared by its two regions', 'RECONSTRUCTED', '§7.4')
  add(
    'gate',
    cfg.ablation.noGate
      ? 'ablation noGate: uniform g = 1/4, no gate parameters'
      : cfg.pin.gate === 'fc-zero'
        ? 'gate: FC over concat(H_1..H_4) + softmax, zero init (uniform start)'
        : 'gate: ONE-style FC + BN + ReLU + softmax',
    'RECONSTRUCTED',
    '§2.5, §7.5'
  )
  add(
    'q',
    `q = Σ_j g_j softmax(z_j/T), T = ${cfg.temperature} (tempered probabilities, not gated logits)`,
    'RECONSTRUCTED',
    '§7.6'
  )
  add('kl-t2', cfg.loss.klT2 ? 'T² factor on L_KL and L_OR' : 'no T² factor on the KL terms', 'RECONSTRUCTED', '§7.7')
  add(
    'stop-gradient',
    cfg.loss.klVariant === 'poi'
      ? 'L_KL: q not detached (gate learns through it); L_OR: sg(q), sg(c); UEM: sg'
      : 'ONE variant: q detached in L_KL, gate trained by −log q[y]; L_OR: sg(q), sg(c)',
    'RECONSTRUCTED',
    '§4 (8), §7.8'
  )
  add(
    'uem',
    cfg.uem === 'variance'
      ? 'UEM: normalised predictive variance of the 4 region predictions (T = 1)'
      : cfg.uem === 'mi'
        ? 'UEM: mutual information H(p̄) − mean H(p_j), c = 1 − MI/log 4'
        : 'UEM: total uncertainty of the regions’ mean prediction, c = 1 − H(p̄)/log C (the disagreement forms saturate at c ≈ 1)',
    'RECONSTRUCTED',
    '§4 (10), §7.9'
  )
  add(
    'loss-weights',
    `L_KL × ${cfg.loss.lambdaKl ?? 1}, L_OR × ${cfg.loss.lambdaOr ?? 1} (0 = off; Table X ablations)`,
    'OURS',
    '§4 (12), Table X'
  )
  if (!cfg.ablation.noGate && cfg.loss.klVariant === 'poi') {
    const lg = cfg.loss.lambdaGate ?? 0
    add(
      'gate-loss',
      lg > 0
        ? `gate also trained by ${lg} × −log q¹[y] (T = 1 mixture), as ONE's gate`
        : 'gate learns from L_KL only (tends to stay uniform)',
      'OURS',
      '§2.5, §7.5'
    )
  }
  add(
    'omega',
    cfg.ablation.noUEM
      ? 'ablation noUEM: ω = 1'
      : `ω = 1 − c${cfg.loss.normaliseOmega ? ', normalised to batch mean 1' : ', unnormalised'}`,
    'RECONSTRUCTED',
    '§4 (11), §7.10'
  )
  add(
    'lambdas',
    `λ1 = ${cfg.loss.lambda1} (L_AU), λ2 = ${cfg.loss.lambda2} (L_CE^PIN), λ3 = ${cfg.loss.lambda3} (L_CE^TRN); values lost in the paper`,
    'RECONSTRUCTED',
    '§4 (12), §7.11'
  )
  add(
    'au-smoothing',
    `AU pseudolabels smoothed ${cfg.loss.auSmoothing === 'symmetric' ? '1 → 1−ε, 0 → ε' : '(1−ε)y + ε/2'} with ε = ${cfg.loss.auEpsilon}`,
    'RECONSTRUCTED',
    '§3, §7.11'
  )
  add('au-normalisation', 'L_AU summed over AUs, averaged over B·N', 'RECONSTRUCTED', '§4 (4), §7.12')
  const noContempt = !cfg.classes.includes('contempt')
  add(
    'au14',
    noContempt
      ? cfg.loss.auMaskAU14
        ? 'no contempt class: AU14 masked out of L_AU'
        : 'no contempt class: AU14 kept as an always-negative head'
      : 'contempt present: AU14 supervised',
    'RECONSTRUCTED',
    '§3, §7.13'
  )
  add('neutral', 'neutral: all AU pseudolabels 0 (smoothed to ε); prior support 1 − mean ρ', 'RECONSTRUCTED', '§3, §5')
  return out
}

/** One line per choice, for logs. */
export function formatConfigDescription(cfg: PoiModelConfig): string {
  return describeConfig(cfg)
    .map((c) => `[${c.status}] ${c.key}: ${c.value} (${c.ref})`)
    .join('\n')
}

/** Non-fatal remarks: λ2 ≥ λ3 contradicts the paper's prose; k/H outside the range the paper tested. */
export function configWarnings(cfg: PoiModelConfig): string[] {
  const w: string[] = []
  const g = computeGeometry(cfg)
  if (!g.pinEnabled) return w
  if (cfg.loss.lambda2 >= cfg.loss.lambda3) {
    w.push(
      `λ2 (${cfg.loss.lambda2}) ≥ λ3 (${cfg.loss.lambda3}): the paper says the PIN needs less label constraint than the TRN (λ2 < λ3)`
    )
  }
  if (g.kOverH < 0.5 || g.kOverH > 0.79) {
    w.push(`crop k/H = ${g.kOverH.toFixed(2)} is outside the range the paper tested (0.5–0.79)`)
  }
  return w
}
