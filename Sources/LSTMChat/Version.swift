/// The version string `lstmchat --version` prints.
public enum LSTMChatVersion {
    public static let number = "0.1.0"
    public static var description: String {
        """
        lstmchat \(number) (BLAS: OpenBLAS, core \(BLASInfo.coreName), \(ThreadPolicy.threads) threads)
        BLAS core \(BLASInfo.coreName): \(BLASCoreType.reason)
        """
    }
}
