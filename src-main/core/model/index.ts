/** Public API of the POI network package (see docs/ARCHITECTURE.md, core/model). */
export { tf } from './tf'
export * from './config'
export { describeConfig, formatConfigDescription, configWarnings, type ConfigChoice, type Provenance } from './describe'
export { ParamRegistry, type RegisteredVar, type VarRole } from './params'
export { newCtx, applyBnUpdates, stopGradient, type ForwardCtx } from './layers'
export { identityFeatures, type FeatureExtractor, type FrozenFeatureFn } from './backbone'
export { cornerCrops, mirrorW, type CornerCrops } from './pin'
export { gateMix, temperedProbs, uem, uemVariance, uemMutualInformation, type UemOut } from './oim'
export * from './losses'
export {
  PoiNetwork,
  createPoiModel,
  disposeOutputs,
  type PoiOutputs,
  type WeightMap,
  type CreateModelOptions
} from './poi-model'
export * from './optimizer'
export * from './train-step'
