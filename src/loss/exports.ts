/** One export line per loss (and Gluon's aliases). */
export { L2Loss, type L2LossOptions } from './l2.js';
export { CTCLoss, type CTCLossOptions } from './ctc.js';
export { L1Loss, type L1LossOptions } from './l1.js';
export { HuberLoss, type HuberLossOptions } from './huber.js';
export { HingeLoss, type HingeLossOptions } from './hinge.js';
export { SquaredHingeLoss, type SquaredHingeLossOptions } from './squared-hinge.js';
export { LogisticLoss, type LogisticLossOptions, type LogisticLabelFormat } from './logistic.js';
export { SigmoidBinaryCrossEntropyLoss, type SigmoidBinaryCrossEntropyLossOptions } from './sigmoid-bce.js';
export { SigmoidBinaryCrossEntropyLoss as SigmoidBCELoss } from './sigmoid-bce.js';
export { PoissonNLLLoss, type PoissonNLLLossOptions } from './poisson-nll.js';
export { SoftmaxCrossEntropyLoss, type SoftmaxCrossEntropyLossOptions } from './softmax-ce.js';
export { SoftmaxCrossEntropyLoss as SoftmaxCELoss } from './softmax-ce.js';
export { KLDivLoss, type KLDivLossOptions, type KLClassReduction } from './kl-div.js';
export { CosineEmbeddingLoss, type CosineEmbeddingLossOptions } from './cosine-embedding.js';
export { TripletLoss, type TripletLossOptions } from './triplet.js';
export { SDMLLoss, type SDMLLossOptions } from './sdml.js';
