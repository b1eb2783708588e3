public enum LogGeneratorPlaceholder {}
