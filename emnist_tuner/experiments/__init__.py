"""What follows a search: the winner (``winner``), its MNIST retrain (``retrain``), transfer to
Binary AlphaDigits (``transfer*``), the ablation of the study's methods (``ablation*``) and the
statistics they share (``stats``)."""
